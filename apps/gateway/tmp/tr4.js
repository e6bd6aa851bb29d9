require('../../../tools/test-support/ts-register.js');
const {runSocScenario,socScenarios}=require('../src/engine/soc-validation.ts');
(async()=>{const sc=socScenarios().find(s=>s.name===process.argv[2]);
const acc=[[],[]]; let ah=[0,0];
for (const seed of process.argv.slice(3).map(Number)) {
 const fits=[new Map(),new Map()]; ah=[0,0];
 let caps=[[],[]];
 await runSocScenario(sc,seed,(sim,t)=>{ const snap=sim.site.snapshot();
  for (let si=0;si<2;si++){ const I=snap.strings[si].dcCurrentA.value; if(!(I<0)) continue; ah[si]+= -I*10/3600;
   for(let g=si*12+1; g<=si*12+12; g++){ const tr=sim.physics.truth(g); if (caps[si].length<12) caps[si].push(tr.capacityAh);
     const frac=ah[si]/100; if (frac<0.08||frac>0.35*(-I<50?1:0.5)) continue;
     const y=tr.voltageV - I*tr.resistanceOhm; let f=fits[si].get(g)||{n:0,sx:0,sy:0,sxx:0,sxy:0}; f.n++;f.sx+=ah[si];f.sy+=y;f.sxx+=ah[si]*ah[si];f.sxy+=ah[si]*y; fits[si].set(g,f);} }
 });
 for (let si=0;si<2;si++){ const ks=[...fits[si].values()].map(f=>(f.n*f.sxy-f.sx*f.sy)/(f.n*f.sxx-f.sx*f.sx)).sort((a,b)=>a-b); const k=ks[6];
  const ct=caps[si].sort((a,b)=>a-b)[6]; const cv=0.0165*6*100/ -k; console.log(sc.name, seed, si, 'Ctrue', ct.toFixed(1), 'Cv', cv.toFixed(1), 'ratio', (cv/ct).toFixed(3)); }
}})();
