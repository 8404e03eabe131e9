obj-fuzz/loadgen/check/ledger_union.o: loadgen/check/ledger_union.c \
 include/ledger_union.h include/ledger.h include/ledger_file.h \
 include/util.h
include/ledger_union.h:
include/ledger.h:
include/ledger_file.h:
include/util.h:
