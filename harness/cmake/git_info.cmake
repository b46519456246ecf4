# Writes git_info.hpp (the commit and whether the tree was dirty) at every
# build, rewriting it only when it changes, so results name the commit that
# was really built without forcing a rebuild each time.
#   cmake -DSOURCE_DIR=<repo> -DOUTPUT=<file> -P git_info.cmake
set(commit "unknown")
set(dirty "-1")
find_package(Git QUIET)
if(GIT_FOUND)
  execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} rev-parse HEAD
                  OUTPUT_VARIABLE out RESULT_VARIABLE rc ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(rc EQUAL 0)
    set(commit "${out}")
    execute_process(COMMAND ${GIT_EXECUTABLE} -C ${SOURCE_DIR} status --porcelain --untracked-files=no
                    OUTPUT_VARIABLE status RESULT_VARIABLE rc2 ERROR_QUIET)
    if(rc2 EQUAL 0)
      if(status STREQUAL "")
        set(dirty "0")
      else()
        set(dirty "1")
      endif()
    endif()
  endif()
endif()
set(content "// Generated at build time by harness/cmake/git_info.cmake.\n#pragma once\n#define STALLOC_BENCH_GIT_COMMIT \"${commit}\"\n#define STALLOC_BENCH_GIT_DIRTY ${dirty}  // 1, 0, or -1 when unknown\n")
if(EXISTS ${OUTPUT})
  file(READ ${OUTPUT} old)
else()
  set(old "")
endif()
if(NOT old STREQUAL content)
  file(WRITE ${OUTPUT} "${content}")
endif()
