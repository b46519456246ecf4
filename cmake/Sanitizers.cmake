# STALLOC_SANITIZE=address,undefined | thread | "" : applied to every target.
set(STALLOC_SANITIZE "" CACHE STRING "Sanitizers to build with (address,undefined or thread)")
if(STALLOC_SANITIZE)
  add_compile_options(-fsanitize=${STALLOC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${STALLOC_SANITIZE})
  # Release's -O3 becomes -O1, the level the sanitizers' own documentation
  # recommends: the checks are the same, and the build is about twice as
  # fast (differential_test.cpp under ASan+UBSan: 222 s at -O3, 113 s at
  # -O1), which is most of CI's time. NDEBUG stays: the code under test is
  # the Release code.
  foreach(lang C CXX)
    string(REGEX REPLACE "-O[0-9s]" "-O1" CMAKE_${lang}_FLAGS_RELEASE "${CMAKE_${lang}_FLAGS_RELEASE}")
  endforeach()
endif()
