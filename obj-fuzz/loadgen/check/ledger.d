obj-fuzz/loadgen/check/ledger.o: loadgen/check/ledger.c include/ledger.h \
 include/util.h
include/ledger.h:
include/util.h:
