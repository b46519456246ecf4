# ctest driver: builds the consumer project in a scratch directory and runs it.
#   cmake -DMODE=subdirectory|package -DSTALLOC_SOURCE_DIR=... -DWORK_DIR=...
#         -DCXX=... -DGENERATOR=... -P run_consumer.cmake
# In package mode the library is first configured alone, built and installed
# into WORK_DIR/prefix with `cmake --install`, as a user would.
cmake_minimum_required(VERSION 3.25)
foreach(var MODE STALLOC_SOURCE_DIR WORK_DIR CXX GENERATOR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
  endif()
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(common -G ${GENERATOR} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
set(project_dir ${CMAKE_CURRENT_LIST_DIR}/project)

if(MODE STREQUAL "package")
  run(${CMAKE_COMMAND} -S ${STALLOC_SOURCE_DIR} -B ${WORK_DIR}/lib-build ${common})
  # Builds libstalloc-malloc.so (the headers need no build).
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/lib-build)
  run(${CMAKE_COMMAND} --install ${WORK_DIR}/lib-build --prefix ${WORK_DIR}/prefix)
  if(NOT EXISTS ${WORK_DIR}/prefix/include/stalloc/stalloc.hpp)
    message(FATAL_ERROR "cmake --install did not install the headers")
  endif()
  run(${CMAKE_COMMAND} -S ${project_dir} -B ${WORK_DIR}/app-build ${common}
      -DSTALLOC_IMPORT=package -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
elseif(MODE STREQUAL "subdirectory")
  run(${CMAKE_COMMAND} -S ${project_dir} -B ${WORK_DIR}/app-build ${common}
      -DSTALLOC_IMPORT=subdirectory -DSTALLOC_SOURCE_DIR=${STALLOC_SOURCE_DIR})
else()
  message(FATAL_ERROR "MODE must be subdirectory or package, not '${MODE}'")
endif()
run(${CMAKE_COMMAND} --build ${WORK_DIR}/app-build)
run(${WORK_DIR}/app-build/consumer)
if(NOT last_output MATCHES "Stalloc<100, 8>: 98/100 blocks free in [12] chunks?.*consumer ok")
  message(FATAL_ERROR "unexpected consumer output:\n${last_output}")
endif()
message("${MODE}: ${last_output}")
