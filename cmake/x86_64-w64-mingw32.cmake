# Cross-compiling the addon for Windows x64 with Debian's g++-mingw-w64-x86-64-posix, e.g.
#   npx cmake-js compile --out build-win32 --CDCMAKE_TOOLCHAIN_FILE=cmake/x86_64-w64-mingw32.cmake \
#     --CDTAPEGRAD_NODE_IMPORT_LIB=<libnode.a made by dlltool from node-api-headers' node_api.def>
# (.ci/win32.sh does this and runs the tests with a Windows node.exe under Wine).
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR AMD64)
set(CMAKE_C_COMPILER x86_64-w64-mingw32-gcc-posix)
set(CMAKE_CXX_COMPILER x86_64-w64-mingw32-g++-posix)
set(CMAKE_RC_COMPILER x86_64-w64-mingw32-windres)
set(CMAKE_FIND_ROOT_PATH /usr/x86_64-w64-mingw32)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
# GCC cannot realign the Win64 stack to 32/64 bytes (GCC bug 54412): have the assembler emit only
# unaligned vector moves, so a spilled ymm/zmm can never fault.
set(CMAKE_CXX_FLAGS_INIT "-Wa,-muse-unaligned-vector-move")
# A DLL is a RUNTIME output on Windows: put it where cmake-js expects the module (<out>/Release).
set(CMAKE_RUNTIME_OUTPUT_DIRECTORY "${CMAKE_LIBRARY_OUTPUT_DIRECTORY}")
# One self-contained DLL: libgcc, libstdc++ and winpthreads linked in, so it imports only node.exe,
# KERNEL32.dll and msvcrt.dll.
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++ -s")
# Windows-GNU.cmake overwrites *_STANDARD_LIBRARIES_INIT, hence CACHE ... FORCE. The import library
# must follow the objects on the link line.
set(CMAKE_CXX_STANDARD_LIBRARIES "${TAPEGRAD_NODE_IMPORT_LIB} -lkernel32" CACHE STRING "" FORCE)
