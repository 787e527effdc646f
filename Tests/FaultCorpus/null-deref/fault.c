#define PFNSPEC_FAULT_NULL_DEREF
#define PFNSPEC_FAULT_NAME "null-deref"
#define PFNSPEC_FAULT_SUMMARY "dereferences a NULL pointer"
#include "../fault_walker.h"
