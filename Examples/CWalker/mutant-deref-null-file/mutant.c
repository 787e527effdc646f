/* The example walker with one defect: its lock assertion dereferences vm_file even when it is NULL. */
#define PFNSPEC_EXAMPLE_NAME "example-c:deref-null-file"
#define PFNSPEC_EXAMPLE_SUMMARY "the C example, except that it dereferences vma->vm_file for a VMA without a file"
#define PFNSPEC_EXAMPLE_ROLE "mutant"
#define PFNSPEC_EXAMPLE_MUTANT_DEREF_NULL_FILE
#include "../reference/follow_pfnmap.c"
