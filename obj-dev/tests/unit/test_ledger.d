obj-dev/tests/unit/test_ledger.o: tests/unit/test_ledger.c \
 include/ledger.h include/msg.h include/schedule.h tests/unit/unit.h \
 include/util.h
include/ledger.h:
include/msg.h:
include/schedule.h:
tests/unit/unit.h:
include/util.h:
