obj-dev/tests/unit/test_hist.o: tests/unit/test_hist.c include/hdrfmt.h \
 include/hist.h include/hist.h tests/unit/unit.h
include/hdrfmt.h:
include/hist.h:
include/hist.h:
tests/unit/unit.h:
