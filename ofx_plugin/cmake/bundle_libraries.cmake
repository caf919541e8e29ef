# SPDX-License-Identifier: Apache-2.0
# cmake -DCLIENT=libsynthfx_client.so -DLIBDIR=.../Contents/Libraries -DPATCHELF=patchelf -P ...
# Copies the client library and every shared library it needs (except the C/C++ runtime the
# host already has) into LIBDIR, renames each soname to libsynthfx_<name> and points every
# rpath at $ORIGIN: a private, self-contained copy no host library can be confused with.
cmake_minimum_required(VERSION 3.21)
file(GET_RUNTIME_DEPENDENCIES
     LIBRARIES "${CLIENT}"
     RESOLVED_DEPENDENCIES_VAR resolved
     UNRESOLVED_DEPENDENCIES_VAR unresolved
     POST_EXCLUDE_REGEXES
       "/ld-linux[^/]*$" "/libc\\.so" "/libm\\.so" "/libdl\\.so" "/librt\\.so"
       "/libpthread\\.so" "/libresolv\\.so" "/libstdc\\+\\+\\.so" "/libgcc_s\\.so")
if(unresolved)
  message(FATAL_ERROR "synthfx bundle: unresolved libraries: ${unresolved}")
endif()

file(REMOVE_RECURSE "${LIBDIR}")
file(MAKE_DIRECTORY "${LIBDIR}")

function(soname_of path out)
  execute_process(COMMAND "${PATCHELF}" --print-soname "${path}" OUTPUT_VARIABLE name
                  OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  set(${out} "${name}" PARENT_SCOPE)
endfunction()

set(origin "\$ORIGIN")
set(renames "")
set(copies "")
foreach(dep IN LISTS resolved)
  soname_of("${dep}" soname)
  string(REGEX REPLACE "^lib" "libsynthfx_" private "${soname}")
  file(COPY_FILE "${dep}" "${LIBDIR}/${private}")
  list(APPEND renames "${soname}=${private}")
  list(APPEND copies "${LIBDIR}/${private}")
  execute_process(COMMAND "${PATCHELF}" --set-soname "${private}" "${LIBDIR}/${private}"
                  COMMAND_ERROR_IS_FATAL ANY)
endforeach()

file(COPY_FILE "${CLIENT}" "${LIBDIR}/libsynthfx_client.so")
list(APPEND copies "${LIBDIR}/libsynthfx_client.so")
foreach(lib IN LISTS copies)
  execute_process(COMMAND "${PATCHELF}" --print-needed "${lib}" OUTPUT_VARIABLE needed
                  OUTPUT_STRIP_TRAILING_WHITESPACE COMMAND_ERROR_IS_FATAL ANY)
  string(REPLACE "\n" ";" needed "${needed}")
  set(args "")
  foreach(rename IN LISTS renames)
    string(REPLACE "=" ";" pair "${rename}")
    list(GET pair 0 old)
    list(GET pair 1 new)
    if(old IN_LIST needed)
      list(APPEND args --replace-needed "${old}" "${new}")
    endif()
  endforeach()
  execute_process(COMMAND "${PATCHELF}" --set-rpath "${origin}" "${lib}"
                  COMMAND_ERROR_IS_FATAL ANY)
  if(args)
    execute_process(COMMAND "${PATCHELF}" ${args} "${lib}" COMMAND_ERROR_IS_FATAL ANY)
  endif()
endforeach()
