obj-fuzz/loadgen/check/effect_ledger.o: loadgen/check/effect_ledger.c \
 include/effect_ledger.h include/ledger.h include/template.h \
 include/util.h
include/effect_ledger.h:
include/ledger.h:
include/template.h:
include/util.h:
