require('../../../tools/test-support/ts-register.js');
for (const f of ['./soc-old.ts','../src/engine/soc.ts']) {
const {shepherdCutoffAh}=require(f);
const curve=(fn,to)=>{const c=[];for(let q=3;q<=to;q+=0.5)c.push({q,v:Math.round(fn(q)*1000)/1000});return c;};
const knee=q=>12.6-0.01*q-0.05*q/(60-q);
const gentle=q=>12.6-0.02*q-0.0001*q*q;
const gentle2=q=>12.6-0.015*q-0.0002*q*q - 0.000003*q*q*q;
console.log(f, 'knee@50', shepherdCutoffAh(curve(knee,50),10.5,50,100), 'knee@40', shepherdCutoffAh(curve(knee,40),10.5,40,100), 'gentle@45', shepherdCutoffAh(curve(gentle,45),10.5,45,100), 'gentle2@40', shepherdCutoffAh(curve(gentle2,40),10.5,40,100));
}
// truth crossing of knee
let lo=0,hi=59.99; for(let k=0;k<60;k++){const m=(lo+hi)/2; if(12.6-0.01*m-0.05*m/(60-m)>10.5) lo=m; else hi=m;} console.log('knee truth', lo);
