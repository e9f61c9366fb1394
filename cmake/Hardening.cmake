# Hardening for a daemon that starts as root and parses what VMs send
# (issue #10). The `hardening` test (tests/hardening/check_binary.py) fails
# when the built binary loses any of these; docs/hardening.md has what each
# costs.
#
#   -fstack-protector-strong   a canary in every function with an array or an
#                              address-taken local; __stack_chk_fail on smash
#   -fstack-clash-protection   frames over a page probe every page, so a large
#                              or variable frame cannot jump the guard page
#   -D_GLIBCXX_ASSERTIONS      bounds and non-empty checks in the standard
#                              library (vector::back() on an empty vector
#                              aborts instead of corrupting the heap)
#   -D_FORTIFY_SOURCE=3        glibc's checked memcpy/snprintf/read/...
#                              wherever the object size is known, also only
#                              at run time (3: __builtin_dynamic_object_size)
#   -z relro -z now            full RELRO: relocations are applied at start,
#                              then the GOT and relocated data are read-only
#   -z noexecstack             the stack is never executable
#   -static-pie                src/app/CMakeLists.txt: ASLR for the static binary
#
# Not used: -fcf-protection. Debian 12's libc.a carries no IBT/SHSTK
# property, so the static binary never gets one and no kernel enables CET
# for it: the endbr64 instructions would cost size and protect nothing.
option(NSMP_HARDEN "Build with the hardening flags of cmake/Hardening.cmake" ON)

if(NSMP_HARDEN)
  # Every target defined after this: our layers, llhttp, tests, fuzz targets.
  # -fPIE is Debian gcc's default, stated because -static-pie needs it.
  add_compile_options(-fPIE -fstack-protector-strong -fstack-clash-protection)
  add_compile_definitions(_GLIBCXX_ASSERTIONS)
  # glibc fortifies only with optimisation (without, it warns, and -Werror
  # fails), and ASan replaces the same functions with its own checks: so
  # optimised, unsanitized builds only. -U first, in case the toolchain
  # predefines another level (a redefinition warning otherwise).
  if(NOT NSMP_SANITIZE AND NOT NSMP_FUZZ)
    add_compile_options("$<$<NOT:$<CONFIG:Debug>>:-U_FORTIFY_SOURCE;-D_FORTIFY_SOURCE=3>")
  endif()
  add_link_options(LINKER:-z,relro LINKER:-z,now LINKER:-z,noexecstack)
endif()
