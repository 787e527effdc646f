#define PFNSPEC_FAULT_WRITE_THROUGH_POINTER
#define PFNSPEC_FAULT_NAME "write-through-pointer"
#define PFNSPEC_FAULT_SUMMARY "clears the pgd entry with a plain store through the entry pointer"
#include "../fault_walker.h"
