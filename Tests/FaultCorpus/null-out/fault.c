#define PFNSPEC_FAULT_NULL_OUT
#define PFNSPEC_FAULT_NAME "null-out"
#define PFNSPEC_FAULT_SUMMARY "asks the host to store an answer through a NULL pointer"
#include "../fault_walker.h"
