obj-fuzz/tests/fuzz/fuzz_ledger.o: tests/fuzz/fuzz_ledger.c \
 include/ledger_file.h include/ledger_union.h include/ledger.h \
 include/ledger_file.h
include/ledger_file.h:
include/ledger_union.h:
include/ledger.h:
include/ledger_file.h:
