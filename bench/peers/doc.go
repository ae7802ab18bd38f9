// Package peers compares the library's request path with what users pick
// instead, each checking the same request and the same permission: GET
// /v1/studies/tekenradar/responses?surveyKey=s1 with a bearer credential,
// allowed by study/tekenradar/get-responses limited to surveys s1 and s2.
// It is a module of its own, so that echo, casbin and jwx never reach the
// library's users. Run from this directory:
//
//	go test -run '^$' -bench . -benchmem
//
// Instructions per request, as bench/instructions.sh measures them:
//
//	go test -c -o peers.test && GOMAXPROCS=1 GOGC=off GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off \
//	  valgrind --tool=callgrind ./peers.test -test.run '^$' -test.bench '^BenchmarkEchoKeyAuth$' -test.benchtime 12000x
//	(minus the same at 2000x, over 10,000)
package peers
