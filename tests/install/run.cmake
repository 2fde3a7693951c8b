# Builds and runs the consumer project beside this file against tfx, as outside code would use it.
#   cmake -DMODE=find_package|add_subdirectory -DTFX_SOURCE_DIR=... -DTFX_BINARY_DIR=...
#         -DWORK_DIR=... [-DCXX=...] [-DGENERATOR=...] [-DBUILD_TYPE=...] -P run.cmake
# find_package: `cmake --install` of the configured tfx build tree into WORK_DIR/prefix, then the
# consumer is configured with CMAKE_PREFIX_PATH=WORK_DIR/prefix (and must find tfx there, not
# elsewhere). add_subdirectory: the consumer adds the tfx source tree itself.
foreach(_v MODE TFX_SOURCE_DIR WORK_DIR)
    if(NOT DEFINED ${_v})
        message(FATAL_ERROR "install/run.cmake: ${_v} is not set")
    endif()
endforeach()
if(NOT BUILD_TYPE)
    set(BUILD_TYPE Release)
endif()

# Runs a command; on failure stops with the command and its output.
function(step what)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    list(JOIN ARGN " " cmd)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "install test (${MODE}): ${what} failed (${rc})\ncommand: ${cmd}\n${out}")
    endif()
    message(STATUS "${what}: ok\n${out}")
endfunction()

# The arguments that configure the consumer project beside this file in build directory dir.
set(_consumer_dir "${CMAKE_CURRENT_LIST_DIR}")
function(consumer_args var dir)
    set(args -S "${_consumer_dir}" -B "${dir}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
    if(GENERATOR)
        list(APPEND args -G "${GENERATOR}")
    endif()
    if(CXX)
        list(APPEND args "-DCMAKE_CXX_COMPILER=${CXX}")
    endif()
    set(${var} ${args} PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK_DIR}")
set(_prefix "${WORK_DIR}/prefix")
set(_build "${WORK_DIR}/build")
consumer_args(_args "${_build}")

if(MODE STREQUAL "find_package")
    if(NOT DEFINED TFX_BINARY_DIR)
        message(FATAL_ERROR "install/run.cmake: TFX_BINARY_DIR is not set")
    endif()
    step("cmake --install" ${CMAKE_COMMAND} --install "${TFX_BINARY_DIR}" --prefix "${_prefix}" --config "${BUILD_TYPE}")
    if(NOT EXISTS "${_prefix}/include/tfx/tfx.hpp")
        message(FATAL_ERROR "install test: ${_prefix}/include/tfx/tfx.hpp was not installed")
    endif()
    file(GLOB_RECURSE _configs "${_prefix}/*/tfxConfig.cmake")
    if(NOT _configs)
        message(FATAL_ERROR "install test: no tfxConfig.cmake under ${_prefix}")
    endif()
    # The installed package must be relocatable: no path into the source tree.
    file(GLOB_RECURSE _cmake_files "${_prefix}/*.cmake")
    foreach(_f IN LISTS _cmake_files)
        file(READ "${_f}" _text)
        string(FIND "${_text}" "${TFX_SOURCE_DIR}" _pos)
        if(NOT _pos EQUAL -1)
            message(FATAL_ERROR "install test: ${_f} refers to the source tree ${TFX_SOURCE_DIR}")
        endif()
    endforeach()
    # The installed tfx::compiled was built with the tfx build's -march=native (NATIVE): a consumer
    # built for the default instruction set must fail to link it, naming its own set; one built
    # with -march=native links (docs/compiled.md).
    if(NATIVE)
        set(_generic "${WORK_DIR}/generic")
        consumer_args(_generic_args "${_generic}")
        step("configure a consumer without -march" ${CMAKE_COMMAND} ${_generic_args} "-DCMAKE_PREFIX_PATH=${_prefix}"
             -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
        execute_process(COMMAND ${CMAKE_COMMAND} --build "${_generic}" --config "${BUILD_TYPE}" --target consumer_compiled
                        RESULT_VARIABLE _rc OUTPUT_VARIABLE _out ERROR_VARIABLE _out)
        if(_rc EQUAL 0)
            message(STATUS "the default instruction set is the native one here: no mismatch to check")
        else()
            string(FIND "${_out}" "tfx_compiled_lib_is_not_built_for_" _pos)
            if(_pos EQUAL -1)
                message(FATAL_ERROR "install test: a consumer of another instruction set failed to build, but not "
                                    "with the instruction-set message:\n${_out}")
            endif()
            message(STATUS "a consumer of another instruction set fails to link, as it should")
        endif()
        list(APPEND _args "-DCMAKE_CXX_FLAGS=-march=native")
    endif()
    step("configure the consumer" ${CMAKE_COMMAND} ${_args} "-DCMAKE_PREFIX_PATH=${_prefix}"
         -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
    file(STRINGS "${_build}/CMakeCache.txt" _dir REGEX "^tfx_DIR:")
    string(FIND "${_dir}" "${_prefix}/" _pos)
    if(NOT _pos GREATER -1)
        message(FATAL_ERROR "install test: the consumer found tfx elsewhere than in ${_prefix}: ${_dir}")
    endif()
elseif(MODE STREQUAL "add_subdirectory")
    step("configure the consumer" ${CMAKE_COMMAND} ${_args} "-DTFX_SOURCE_DIR=${TFX_SOURCE_DIR}")
else()
    message(FATAL_ERROR "install/run.cmake: MODE must be find_package or add_subdirectory, not ${MODE}")
endif()

step("build the consumer" ${CMAKE_COMMAND} --build "${_build}" --config "${BUILD_TYPE}")
set(_exe "${_build}/consumer")
if(NOT EXISTS "${_exe}" AND EXISTS "${_build}/${BUILD_TYPE}/consumer")
    set(_exe "${_build}/${BUILD_TYPE}/consumer")
endif()
step("run the consumer" "${_exe}")
step("run the consumer built with tfx::compiled" "${_exe}_compiled")
