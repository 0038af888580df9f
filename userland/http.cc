// http-server and http-client: a small HTTP/1.1 implementation with
// keep-alive, written against POSIX socket names.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "userland/args.h"
#include "userland/posix.h"
#include "userland/programs.h"
#include "userland/sockets.h"

namespace userland {

namespace {

struct Conn {
  std::string in, out;
  bool close_after = false;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Builds the response to one request (the request line and headers, up to
// the blank line). Returns false for a malformed request (400 and close).
bool Respond(const std::string& head, Conn& c) {
  const size_t eol = head.find("\r\n");
  const std::string line = head.substr(0, eol);
  const size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  if (sp1 == std::string::npos || sp2 == sp1) {
    c.out += "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    c.close_after = true;
    return false;
  }
  const std::string method = line.substr(0, sp1), path = line.substr(sp1 + 1, sp2 - sp1 - 1),
                    version = line.substr(sp2 + 1);
  const std::string h = Lower(head);
  bool keep = version == "HTTP/1.1";
  if (h.find("\r\nconnection: close") != std::string::npos) keep = false;
  if (h.find("\r\nconnection: keep-alive") != std::string::npos) keep = true;
  std::string status = "200 OK", body;
  if (method != "GET" && method != "HEAD") {
    status = "405 Method Not Allowed";
  } else if (path == "/") {
    body = "usnet http-server: try /bytes/N\n";
  } else if (path.rfind("/bytes/", 0) == 0) {
    char* end = nullptr;
    const long n = std::strtol(path.c_str() + 7, &end, 10);
    if (*end != '\0' || n < 0 || n > (64 << 20)) {
      status = "400 Bad Request";
    } else {
      body.resize(static_cast<size_t>(n));
      for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>('a' + i % 26);
    }
  } else {
    status = "404 Not Found";
  }
  c.out += "HTTP/1.1 " + status +
           "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
           (keep ? "\r\n" : "\r\nConnection: close\r\n") + "\r\n";
  if (method != "HEAD") c.out += body;
  c.close_after = !keep;
  return true;
}

}  // namespace

// An epoll event loop serving HTTP/1.1 with keep-alive and pipelining,
// until --max-requests have been answered (0: forever) or epoll_wait fails.
int HttpServerMain(int argc, char** argv) {
  Args a(argc, argv, {"port", "backlog", "max-requests"});
  const long port = a.Int("port", 8080), backlog = a.Int("backlog", 128),
             max_requests = a.Int("max-requests", 0);
  if (!a.ok()) return 2;
  const int l = ListenOn("http-server", port, backlog);
  if (l < 0) return 1;
  int ep = posix::epoll_create1(0);
  EpollSet(ep, EPOLL_CTL_ADD, l, EPOLLIN);
  std::map<int, Conn> conns;
  long answered = 0;
  epoll_event evs[64];
  char buf[16384];
  auto drop = [&](int fd) {
    posix::close(fd);
    conns.erase(fd);
  };
  while (max_requests == 0 || answered < max_requests) {
    int n = posix::epoll_wait(ep, evs, 64, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      const int fd = evs[i].data.fd;
      if (fd == l) {
        int c;
        while ((c = posix::accept4(l, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          conns[c];
          EpollSet(ep, EPOLL_CTL_ADD, c, EPOLLIN | EPOLLRDHUP);
        }
        continue;
      }
      auto it = conns.find(fd);
      if (it == conns.end()) continue;
      Conn& c = it->second;
      bool eof = false;
      for (;;) {
        ssize_t r = posix::read(fd, buf, sizeof(buf));
        if (r > 0) {
          c.in.append(buf, static_cast<size_t>(r));
          continue;
        }
        eof = r == 0 || errno != EAGAIN;
        break;
      }
      // Answer every complete request (pipelining), in order.
      size_t end;
      while (!c.close_after && (end = c.in.find("\r\n\r\n")) != std::string::npos) {
        Respond(c.in.substr(0, end + 2), c);
        c.in.erase(0, end + 4);
        ++answered;
      }
      while (!c.out.empty()) {
        ssize_t w = posix::write(fd, c.out.data(), c.out.size());
        if (w <= 0) break;
        c.out.erase(0, static_cast<size_t>(w));
      }
      if (c.out.empty() && (c.close_after || eof)) {
        drop(fd);
      } else {
        EpollSet(ep, EPOLL_CTL_MOD, fd,
                 EPOLLIN | EPOLLRDHUP | (c.out.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT)));
      }
    }
  }
  for (auto& [fd, c] : conns) posix::close(fd);
  posix::close(ep);
  posix::close(l);
  return 0;
}

namespace {
// Reads one response; returns its status code (or -1) and body length.
int ReadResponse(int fd, std::string& buf, size_t* body_len, bool* server_closes) {
  char chunk[16384];
  size_t end;
  while ((end = buf.find("\r\n\r\n")) == std::string::npos) {
    ssize_t r = posix::read(fd, chunk, sizeof(chunk));
    if (r <= 0) return -1;
    buf.append(chunk, static_cast<size_t>(r));
  }
  const std::string head = Lower(buf.substr(0, end));
  int status = -1;
  if (head.rfind("http/1.", 0) == 0 && head.size() >= 12) status = std::atoi(head.c_str() + 9);
  size_t len = 0;
  if (size_t p = head.find("\r\ncontent-length:"); p != std::string::npos) {
    len = std::strtoul(head.c_str() + p + 17, nullptr, 10);
  }
  *server_closes = head.find("\r\nconnection: close") != std::string::npos;
  buf.erase(0, end + 4);
  while (buf.size() < len) {
    ssize_t r = posix::read(fd, chunk, sizeof(chunk));
    if (r <= 0) return -1;
    buf.append(chunk, static_cast<size_t>(r));
  }
  buf.erase(0, len);
  *body_len = len;
  return status;
}
}  // namespace

// --requests GETs of --path, on one keep-alive connection (or a new one per
// request with --close). Fails unless every response is 200.
int HttpClientMain(int argc, char** argv) {
  Args a(argc, argv, {"host", "port", "path", "requests", "close"});
  const std::string host = a.Get("host", "127.0.0.1"), path = a.Get("path", "/");
  const long port = a.Int("port", 8080), requests = a.Int("requests", 1);
  const bool close_each = a.Has("close");
  if (!a.ok()) return 2;
  sockaddr_in to{};
  if (!Resolve(host, port, &to)) {
    std::fprintf(stderr, "http-client: --host '%s' is not an IPv4 address\n", host.c_str());
    return 2;
  }
  int fd = -1;
  std::string buf;
  long ok = 0;
  size_t bytes = 0;
  for (long i = 0; i < requests; ++i) {
    if (fd < 0) {
      fd = posix::socket(AF_INET, SOCK_STREAM, 0);
      if (posix::connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof(to)) < 0) {
        std::fprintf(stderr, "http-client: connect %s:%ld: %s\n", host.c_str(), port,
                     std::strerror(errno));
        return 1;
      }
      buf.clear();
    }
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: " + host +
                            (close_each ? "\r\nConnection: close\r\n\r\n" : "\r\n\r\n");
    if (posix::write(fd, req.data(), req.size()) != static_cast<ssize_t>(req.size())) break;
    size_t len = 0;
    bool closes = false;
    const int status = ReadResponse(fd, buf, &len, &closes);
    if (status != 200) {
      std::fprintf(stderr, "http-client: request %ld: %s\n", i + 1,
                   status < 0 ? "connection ended" : ("status " + std::to_string(status)).c_str());
      break;
    }
    ++ok;
    bytes += len;
    if (closes || close_each) {
      posix::close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) posix::close(fd);
  std::printf("http-client: %ld/%ld requests OK, %zu body bytes\n", ok, requests, bytes);
  return ok == requests ? 0 : 1;
}

}  // namespace userland
