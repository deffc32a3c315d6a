# Prints "TYPE NAME VERSION" for each purl of an SPDX JSON SBOM (deb epochs folded back into the version,
# as trivy writes them in an epoch= qualifier), for comparing package sets between tools.
import json,sys,urllib.parse
d=json.load(open(sys.argv[1]))
for p in d.get('packages',[]):
    for r in p.get('externalRefs',[]) or []:
        if r.get('referenceType')!='purl': continue
        u=r['referenceLocator']
        base,_,q=u.partition('?')
        qs=dict(x.split('=',1) for x in q.split('&') if '=' in x)
        t,_,rest=base[4:].partition('/')
        name,_,ver=rest.rpartition('@')
        name=urllib.parse.unquote(name.split('/')[-1]); ver=urllib.parse.unquote(ver)
        if 'epoch' in qs and qs['epoch']!='0': ver=qs['epoch']+':'+ver
        print(t,name,ver)
