#pragma once
// What Linux reports about this process in /proc/self: bytes read so far and memory figures, for
// tests that check how much a reader reads or holds. -1 where /proc does not have them.
#include <fstream>
#include <string>

namespace tfxtest {

// Bytes this process has read through read(2) and friends so far (/proc/self/io, rchar).
inline long long bytes_read() {
    std::ifstream io("/proc/self/io");
    std::string key;
    long long v;
    while (io >> key >> v)
        if (key == "rchar:") return v;
    return -1;
}

// A value of /proc/self/status, in kB (VmRSS, VmHWM, ...).
inline long long status_kb(const std::string& field) {
    std::ifstream st("/proc/self/status");
    std::string line;
    while (std::getline(st, line))
        if (line.rfind(field + ":", 0) == 0) return std::stoll(line.substr(field.size() + 1));
    return -1;
}

}  // namespace tfxtest
