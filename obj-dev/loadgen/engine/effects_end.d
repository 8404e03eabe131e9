obj-dev/loadgen/engine/effects_end.o: loadgen/engine/effects_end.c \
 include/effects.h include/amqpc.h include/effect_ledger.h \
 include/ledger.h include/hist.h include/hdrfmt.h include/template.h \
 include/util.h
include/effects.h:
include/amqpc.h:
include/effect_ledger.h:
include/ledger.h:
include/hist.h:
include/hdrfmt.h:
include/template.h:
include/util.h:
