#define PFNSPEC_FAULT_ABORT
#define PFNSPEC_FAULT_NAME "abort"
#define PFNSPEC_FAULT_SUMMARY "calls abort()"
#include "../fault_walker.h"
