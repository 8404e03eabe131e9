obj-dev/loadgen/scenario/yamlsafe.o: loadgen/scenario/yamlsafe.c \
 include/yamlsafe.h
include/yamlsafe.h:
