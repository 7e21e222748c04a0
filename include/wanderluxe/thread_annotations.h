// Clang thread-safety annotations
// (https://clang.llvm.org/docs/ThreadSafetyAnalysis.html). Under clang with
// -Wthread-safety (the WANDERLUXE_THREAD_SAFETY build) they let the compiler
// prove that every GUARDED_BY member is touched only with its mutex held; under
// any other compiler they expand to nothing.
//
//   class Pool {
//     void Grow() REQUIRES(mu_);        // caller holds mu_
//     void Drain() EXCLUDES(mu_);       // takes mu_ itself
//     Mutex mu_;
//     std::vector<Conn*> idle_ GUARDED_BY(mu_);
//   };
//
// Thread safety: macros only; nothing here runs.
#ifndef WANDERLUXE_THREAD_ANNOTATIONS_H_
#define WANDERLUXE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define WL_THREAD_ANNOTATION_(x) __attribute__((x))
#else
#define WL_THREAD_ANNOTATION_(x)
#endif

// A type whose instances are capabilities (a mutex).
#define CAPABILITY(x) WL_THREAD_ANNOTATION_(capability(x))
// An RAII type that holds a capability for its lifetime (a scoped lock).
#define SCOPED_CAPABILITY WL_THREAD_ANNOTATION_(scoped_lockable)
// A member read or written only with the capability held.
#define GUARDED_BY(x) WL_THREAD_ANNOTATION_(guarded_by(x))
// A pointer member whose pointee is read or written only with the capability held.
#define PT_GUARDED_BY(x) WL_THREAD_ANNOTATION_(pt_guarded_by(x))
// A function that must be called with the capabilities held.
#define REQUIRES(...) WL_THREAD_ANNOTATION_(requires_capability(__VA_ARGS__))
// A function that acquires (releases) the capabilities, or `this` with no argument.
#define ACQUIRE(...) WL_THREAD_ANNOTATION_(acquire_capability(__VA_ARGS__))
#define RELEASE(...) WL_THREAD_ANNOTATION_(release_capability(__VA_ARGS__))
// A function that must be called without the capabilities held (it takes them).
#define EXCLUDES(...) WL_THREAD_ANNOTATION_(locks_excluded(__VA_ARGS__))
// A function that checks at run time that the capability is held, and aborts if not.
#define ASSERT_CAPABILITY(x) WL_THREAD_ANNOTATION_(assert_capability(x))
// A function the analysis does not check; say why beside each use.
#define NO_THREAD_SAFETY_ANALYSIS WL_THREAD_ANNOTATION_(no_thread_safety_analysis)

#endif  // WANDERLUXE_THREAD_ANNOTATIONS_H_
