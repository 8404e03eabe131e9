obj-fuzz/tests/fuzz/seeds_ledger.o: tests/fuzz/seeds_ledger.c \
 include/ledger_file.h
include/ledger_file.h:
