obj-dev/tests/unit/test_msg.o: tests/unit/test_msg.c include/msg.h \
 tests/unit/unit.h
include/msg.h:
tests/unit/unit.h:
