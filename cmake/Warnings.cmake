# Our own targets: warnings are errors. Third-party sources (llhttp) are exempt.
function(nsmp_target_defaults target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                           -Wconversion -Wsign-conversion)
endfunction()

# Each layer (a folder of src/) is seen through an include root of its own,
# ${PROJECT_BINARY_DIR}/layers/<layer>/, holding one symlink <layer> -> src/<layer>.
# A library exports its layer's root PUBLIC, so `#include "net/stream.h"`
# resolves only in a target that links a library of src/net (directly or
# through a library that does): including a layer one does not link fails to
# compile. scripts/check_layers.py (ctest label `layers`) adds what a compiler
# cannot see: no include of a layer above or beside one's own, and every
# layer used is linked directly, not only through another.
function(nsmp_layer_root out)
  get_filename_component(layer ${CMAKE_CURRENT_SOURCE_DIR} NAME)
  set(root ${PROJECT_BINARY_DIR}/layers/${layer})
  if(NOT IS_SYMLINK ${root}/${layer})
    file(MAKE_DIRECTORY ${root})
    file(CREATE_LINK ${CMAKE_CURRENT_SOURCE_DIR} ${root}/${layer} SYMBOLIC)
  endif()
  set(${out} ${root} PARENT_SCOPE)
endfunction()

# nsmp_library(name SOURCES... [DEPS ...]): a library of the layer whose
# folder defines it.
function(nsmp_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  nsmp_target_defaults(${name})
  nsmp_layer_root(root)
  target_include_directories(${name} PUBLIC ${root})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
endfunction()
