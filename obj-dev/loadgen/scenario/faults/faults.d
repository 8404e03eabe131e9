obj-dev/loadgen/scenario/faults/faults.o: \
 loadgen/scenario/faults/faults.c loadgen/scenario/faults/faults.h
loadgen/scenario/faults/faults.h:
