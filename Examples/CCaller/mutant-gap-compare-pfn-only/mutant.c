/* gap-like-c with one defect: the second lookup is compared by pfn alone. */
#define GAP_LIKE_NAME "mutant:gap-compare-pfn-only-c"
#define GAP_LIKE_SUMMARY "gap-like-c with a defect: gap-compare-pfn-only (a write goes through a mapping made read-only)"
#define GAP_LIKE_ROLE "mutant"
#define GAP_LIKE_MUTANT_COMPARE_PFN_ONLY
#include "../gap-like/gap_like.c"
