#define PFNSPEC_FAULT_SCRIBBLE_FAR
#define PFNSPEC_FAULT_NAME "scribble-far"
#define PFNSPEC_FAULT_SUMMARY "writes a byte a page past the end of its args"
#include "../fault_walker.h"
