#define PFNSPEC_FAULT_SUCCESS_HOLDING_NOTHING
#define PFNSPEC_FAULT_NAME "success-holding-nothing"
#define PFNSPEC_FAULT_SUMMARY "returns success after releasing the lock"
#include "../fault_walker.h"
