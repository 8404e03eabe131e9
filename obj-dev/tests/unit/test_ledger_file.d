obj-dev/tests/unit/test_ledger_file.o: tests/unit/test_ledger_file.c \
 include/ledger_file.h tests/unit/unit.h
include/ledger_file.h:
tests/unit/unit.h:
