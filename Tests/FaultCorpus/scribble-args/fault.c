#define PFNSPEC_FAULT_SCRIBBLE_ARGS
#define PFNSPEC_FAULT_NAME "scribble-args"
#define PFNSPEC_FAULT_SUMMARY "overwrites struct follow_pfnmap_args and the bytes after it"
#include "../fault_walker.h"
