# Compares the machine code of two object files of worker slot 0, ignoring
# symbol names (the registry's type appears in mangled names) and addresses:
# the build's (the object of SLOT among CORE's) and EXTRA.
# -DCORE=objs -DSLOT=worker_slot_0.cpp -DEXTRA=obj -DOBJDUMP=tool
set(PLAIN "")
foreach(object IN LISTS CORE)
  get_filename_component(name "${object}" NAME)
  if(name MATCHES "^${SLOT}\\.o(bj)?$")
    set(PLAIN "${object}")
  endif()
endforeach()
if(PLAIN STREQUAL "")
  message(FATAL_ERROR "no object of ${SLOT} among stalloc_bench_core's objects: ${CORE}")
endif()
foreach(which PLAIN EXTRA)
  execute_process(COMMAND ${OBJDUMP} -d --no-show-raw-insn ${${which}}
    OUTPUT_VARIABLE dump RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${OBJDUMP} failed on ${${which}}")
  endif()
  # Keep the instructions; drop addresses, symbol names and relocation targets.
  string(REGEX REPLACE "\n[ ]*[0-9a-f]+:\t" "\n" dump "${dump}")
  string(REGEX REPLACE "<[^>\n]*>" "<>" dump "${dump}")
  string(REGEX REPLACE "\n[0-9a-f]+ [^\n]*:\n" "\n" dump "${dump}")
  string(REGEX REPLACE "0x[0-9a-f]+" "0x" dump "${dump}")
  string(REGEX REPLACE "\n[^\n]*file format[^\n]*" "" dump "${dump}")
  set(${which}_CODE "${dump}")
  string(LENGTH "${dump}" ${which}_LENGTH)
endforeach()
if(PLAIN_LENGTH LESS 100000)
  message(FATAL_ERROR "slot 0 has almost no code (${PLAIN_LENGTH} bytes of disassembly): wrong object?")
endif()
if(NOT PLAIN_CODE STREQUAL EXTRA_CODE)
  string(SHA256 a "${PLAIN_CODE}")
  string(SHA256 b "${EXTRA_CODE}")
  message(FATAL_ERROR "slot 0's code changed when an allocator was added to the registry "
    "(${PLAIN_LENGTH} vs ${EXTRA_LENGTH} bytes of disassembly, sha256 ${a} vs ${b})")
endif()
message(STATUS "slot 0: identical code with and without one more allocator (${PLAIN_LENGTH} bytes)")
