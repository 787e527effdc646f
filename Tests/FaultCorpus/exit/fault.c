#define PFNSPEC_FAULT_EXIT
#define PFNSPEC_FAULT_NAME "exit"
#define PFNSPEC_FAULT_SUMMARY "calls exit(3)"
#include "../fault_walker.h"
