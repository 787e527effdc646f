#define PFNSPEC_FAULT_PRINT_GARBAGE
#define PFNSPEC_FAULT_NAME "print-garbage"
#define PFNSPEC_FAULT_SUMMARY "prints text that is not an event to standard output"
#include "../fault_walker.h"
