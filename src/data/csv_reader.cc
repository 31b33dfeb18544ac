// CsvReader over a byte source: a POSIX file, optionally through zstd's streaming decoder.
#include "data/csv_reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "zstd.h"

namespace foryou::data {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to `cap` bytes; 0 at end of input.
  virtual absl::StatusOr<size_t> Read(char* buf, size_t cap) = 0;
};

namespace {

constexpr size_t kBufferBytes = 1 << 16;

class FileSource : public ByteSource {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }
  absl::StatusOr<size_t> Read(char* buf, size_t cap) override {
    while (true) {
      const ssize_t n = ::read(fd_, buf, cap);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno != EINTR) {
        return absl::Status(absl::ErrnoToStatusCode(errno),
                            absl::StrCat("cannot read ", path_, ": ", std::strerror(errno)));
      }
    }
  }

 private:
  int fd_;
  std::string path_;
};

class ZstdSource : public ByteSource {
 public:
  ZstdSource(std::unique_ptr<ByteSource> file, std::string path)
      : file_(std::move(file)), path_(std::move(path)), in_buf_(ZSTD_DStreamInSize(), '\0') {
    stream_ = ZSTD_createDStream();
    ZSTD_initDStream(stream_);
  }
  ~ZstdSource() override { ZSTD_freeDStream(stream_); }

  absl::StatusOr<size_t> Read(char* buf, size_t cap) override {
    ZSTD_outBuffer out{buf, cap, 0};
    while (out.pos == 0) {
      if (in_.pos == in_.size) {
        absl::StatusOr<size_t> n = file_->Read(in_buf_.data(), in_buf_.size());
        if (!n.ok()) return n.status();
        if (*n == 0) {
          if (frame_open_) {
            return absl::DataLossError(absl::StrCat(path_, ": truncated zstd stream"));
          }
          return 0;
        }
        in_ = ZSTD_inBuffer{in_buf_.data(), *n, 0};
      }
      const size_t rc = ZSTD_decompressStream(stream_, &out, &in_);
      if (ZSTD_isError(rc)) {
        return absl::DataLossError(absl::StrCat(path_, ": corrupt zstd stream: ", ZSTD_getErrorName(rc)));
      }
      frame_open_ = rc != 0;
    }
    return out.pos;
  }

 private:
  std::unique_ptr<ByteSource> file_;
  std::string path_;
  std::string in_buf_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  ZSTD_DStream* stream_;
  bool frame_open_ = false;
};

}  // namespace

CsvReader::CsvReader(std::unique_ptr<ByteSource> source)
    : source_(std::move(source)), buf_(kBufferBytes, '\0') {}
CsvReader::~CsvReader() = default;

absl::StatusOr<std::unique_ptr<CsvReader>> CsvReader::Open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return absl::Status(absl::ErrnoToStatusCode(errno),
                        absl::StrCat("cannot open ", path, ": ", std::strerror(errno)));
  }
  unsigned char magic[4] = {0, 0, 0, 0};
  const bool zstd_magic = ::pread(fd, magic, 4, 0) == 4 && magic[0] == 0x28 && magic[1] == 0xB5 &&
                          magic[2] == 0x2F && magic[3] == 0xFD;
  std::unique_ptr<ByteSource> source = std::make_unique<FileSource>(fd, path);
  const bool zst_name = path.size() > 4 && path.compare(path.size() - 4, 4, ".zst") == 0;
  if (zstd_magic || zst_name) source = std::make_unique<ZstdSource>(std::move(source), path);
  std::unique_ptr<CsvReader> reader(new CsvReader(std::move(source)));
  std::vector<std::string_view> fields;
  absl::StatusOr<bool> more = reader->Next(&fields);
  if (!more.ok()) return more.status();
  if (!*more) return absl::InvalidArgumentError(absl::StrCat(path, ": empty file (no header)"));
  for (std::string_view f : fields) reader->header_.emplace_back(f);
  return reader;
}

absl::StatusOr<int> CsvReader::Column(std::string_view name) const {
  for (size_t i = 0; i < header_.size(); ++i) {
    if (header_[i] == name) return static_cast<int>(i);
  }
  return absl::NotFoundError(absl::StrCat("no column '", std::string(name), "' in the header"));
}

absl::StatusOr<bool> CsvReader::Fill() {
  if (pos_ < end_) return true;
  absl::StatusOr<size_t> n = source_->Read(buf_.data(), buf_.size());
  if (!n.ok()) return n.status();
  pos_ = 0;
  end_ = *n;
  return end_ > 0;
}

absl::StatusOr<bool> CsvReader::Next(std::vector<std::string_view>* fields) {
  record_.clear();
  bounds_.clear();
  bounds_.push_back(0);
  bool consumed = false, in_quotes = false;
  while (true) {
    absl::StatusOr<bool> more = Fill();
    if (!more.ok()) return more.status();
    if (!*more) {
      if (in_quotes) {
        return absl::DataLossError(absl::StrCat("record ", record_number_ + 1,
                                                ": unterminated quoted field at end of input"));
      }
      if (!consumed) return false;
      break;  // last record without a newline
    }
    consumed = true;
    const char c = buf_[pos_++];
    if (in_quotes) {
      if (c != '"') {
        record_.push_back(c);
        continue;
      }
      absl::StatusOr<bool> peek = Fill();
      if (!peek.ok()) return peek.status();
      if (*peek && buf_[pos_] == '"') {  // "" inside quotes is one quote
        record_.push_back('"');
        ++pos_;
      } else {
        in_quotes = false;
      }
      continue;
    }
    if (c == '"') {
      in_quotes = true;
    } else if (c == ',') {
      bounds_.push_back(record_.size());
      bounds_.push_back(record_.size());
    } else if (c == '\n') {
      if (!record_.empty() && record_.back() == '\r' && record_.size() > bounds_.back()) {
        record_.pop_back();
      }
      break;
    } else {
      record_.push_back(c);
    }
  }
  bounds_.push_back(record_.size());
  fields->clear();
  for (size_t i = 0; i + 1 < bounds_.size(); i += 2) {
    fields->emplace_back(record_.data() + bounds_[i], bounds_[i + 1] - bounds_[i]);
  }
  ++record_number_;
  return true;
}

}  // namespace foryou::data
