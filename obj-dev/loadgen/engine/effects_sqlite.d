obj-dev/loadgen/engine/effects_sqlite.o: loadgen/engine/effects_sqlite.c \
 include/effects.h include/amqpc.h include/effect_ledger.h \
 include/ledger.h include/hist.h include/util.h
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/util.h:
