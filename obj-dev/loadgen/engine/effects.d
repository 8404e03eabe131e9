obj-dev/loadgen/engine/effects.o: loadgen/engine/effects.c \
 include/effects.h include/amqpc.h include/effect_ledger.h \
 include/ledger.h include/hist.h include/util.h
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/util.h:
