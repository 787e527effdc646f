/* <linux/pfn_t.h> for pfnspec: the kernel shim has what it declares (see pfnspec_kernel_any.h). */
#include "../pfnspec_kernel_any.h"
