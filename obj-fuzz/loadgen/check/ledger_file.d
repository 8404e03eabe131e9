obj-fuzz/loadgen/check/ledger_file.o: loadgen/check/ledger_file.c \
 include/ledger_file.h include/util.h
include/ledger_file.h:
include/util.h:
