#define PFNSPEC_FAULT_CRASH_ALWAYS
#define PFNSPEC_FAULT_NAME "crash-always"
#define PFNSPEC_FAULT_DESCRIPTION "the C example, except that it calls abort() for every address"
#include "../fault_walker.h"
