# ctest driver: the binary holding a static Stalloc<65535, 16> must be about as
# large on disk as the one holding a Stalloc<1, 16>, and `size` must show the
# 1 MiB in .bss.  cmake -DBIG=<exe> -DSMALL=<exe> -DSIZE_TOOL=<size> -P check_bss.cmake
cmake_minimum_required(VERSION 3.25)
set(arena_bytes 1048576)  # 65535 * 16 + 16, rounded: ~1 MiB

foreach(exe BIG SMALL)
  execute_process(COMMAND ${${exe}} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${${exe}} failed (${rc}): ${out}")
  endif()
  file(SIZE ${${exe}} ${exe}_file)
  execute_process(COMMAND ${SIZE_TOOL} ${${exe}} RESULT_VARIABLE rc OUTPUT_VARIABLE ${exe}_size)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${SIZE_TOOL} failed on ${${exe}}")
  endif()
  # Berkeley format: "text data bss dec hex filename" then the numbers.
  string(REGEX MATCH "\n[ \t]*([0-9]+)[ \t]+([0-9]+)[ \t]+([0-9]+)" row "${${exe}_size}")
  if(NOT row)
    message(FATAL_ERROR "cannot parse size output:\n${${exe}_size}")
  endif()
  set(${exe}_data ${CMAKE_MATCH_2})
  set(${exe}_bss ${CMAKE_MATCH_3})
endforeach()

message("big arena:\n${BIG_size}file size ${BIG_file}")
message("small arena:\n${SMALL_size}file size ${SMALL_file}")
math(EXPR file_growth "${BIG_file} - ${SMALL_file}")
math(EXPR bss_growth "${BIG_bss} - ${SMALL_bss}")
math(EXPR data_growth "${BIG_data} - ${SMALL_data}")
if(file_growth GREATER 65536)
  message(FATAL_ERROR "the static arena made the binary ${file_growth} bytes larger (not in .bss)")
endif()
if(bss_growth LESS 1048000)
  message(FATAL_ERROR ".bss grew by ${bss_growth} bytes only; the arena is not in .bss")
endif()
# A non-zero byte anywhere in the arena would put all of its ~1 MiB in .data;
# a few KB of growth is code metadata (ASan's global and stack-frame
# descriptors of the bigger instantiation: 7 KB in an ASan build).
if(data_growth GREATER 65536)
  message(FATAL_ERROR ".data grew by ${data_growth} bytes: the arena has non-zero initial bytes")
endif()
message("ok: file +${file_growth} bytes, .bss +${bss_growth} bytes, .data +${data_growth} bytes")
