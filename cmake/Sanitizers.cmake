# STALLOC_SANITIZE=address,undefined | thread | "" : applied to every target.
set(STALLOC_SANITIZE "" CACHE STRING "Sanitizers to build with (address,undefined or thread)")
if(STALLOC_SANITIZE)
  add_compile_options(-fsanitize=${STALLOC_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${STALLOC_SANITIZE})
endif()
