obj-fuzz/loadgen/base/template.o: loadgen/base/template.c \
 include/template.h include/util.h
include/template.h:
include/util.h:
