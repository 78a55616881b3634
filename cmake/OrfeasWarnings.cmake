# orfeas_set_warnings(target): the project's warning set, as errors when ORFEAS_WARNINGS_AS_ERRORS.
# C++ sources get GCC's warnings; CUDA sources get nvcc's, with the same set passed to the host compiler.
function(orfeas_set_warnings target)
  set(cxx_warnings -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wno-sign-conversion -Wnon-virtual-dtor
                   -Wold-style-cast)
  # GCC 12 at -O3 reports -Wrestrict on ordinary std::string concatenation ("t" + std::to_string(i)),
  # inside libstdc++'s char_traits: GCC bug 105651, fixed in GCC 13. Off for GCC 12 only.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    list(APPEND cxx_warnings -Wno-restrict)
  endif()
  target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:${cxx_warnings}>
                                           $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra>)
  if(ORFEAS_WARNINGS_AS_ERRORS)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>
                                             $<$<COMPILE_LANGUAGE:CUDA>:-Werror=all-warnings>)
  endif()
endfunction()
