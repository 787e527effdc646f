#define PFNSPEC_FAULT_LOOP_FOREVER
#define PFNSPEC_FAULT_NAME "loop-forever"
#define PFNSPEC_FAULT_SUMMARY "spins forever without a host call"
#include "../fault_walker.h"
