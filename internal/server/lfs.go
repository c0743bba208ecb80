package server

import "net/http"

func (s *Server) routeLFS(w http.ResponseWriter, r *http.Request, rr repoRoute) { s.notFound(w, r) }

func (s *Server) routeLFSSigned(w http.ResponseWriter, r *http.Request, segs []string) {
	s.notFound(w, r)
}
