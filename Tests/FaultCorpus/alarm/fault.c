#define PFNSPEC_FAULT_ALARM
#define PFNSPEC_FAULT_NAME "alarm"
#define PFNSPEC_FAULT_SUMMARY "arms a 200 ms timer for itself"
#include "../fault_walker.h"
