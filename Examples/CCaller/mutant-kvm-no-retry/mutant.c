/* kvm-like-c with one defect: it installs the spte without checking the invalidation sequence. */
#define KVM_LIKE_NAME "mutant:kvm-no-retry-c"
#define KVM_LIKE_SUMMARY "kvm-like-c with a defect: kvm-no-retry (the spte is installed without mmu_invalidate_retry())"
#define KVM_LIKE_ROLE "mutant"
#define KVM_LIKE_MUTANT_NO_RETRY
#include "../kvm-like/kvm_like.c"
