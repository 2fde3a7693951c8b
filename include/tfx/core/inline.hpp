#pragma once
// TFX_INLINE marks the library's plain (non-template) functions: file formats, event files,
// callbacks, messages. They are defined in impl/*.ipp files beside their headers.
//
// - Header-only (the default): each header includes its .ipp at its end, and the functions are
//   inline, compiled in every translation unit that uses them.
// - TFX_COMPILED_LIB defined in every TU of the program (CMake: link tfx::compiled): the headers
//   only declare them, and src/tfx.cpp defines them once. Their code generation then leaves every
//   user TU (docs/compiled.md).
#ifdef TFX_COMPILED_LIB
#define TFX_INLINE
#else
#define TFX_INLINE inline
#endif
