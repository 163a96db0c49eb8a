#!/bin/bash
# Interleaved A/B of halflab-cli bench: old (1f40ff8) vs new (HEAD), medians of step ms.
old=/work/wt/old/build/app/halflab-cli; new=/work/main/build/app/halflab-cli
for model in mlp lenet; do
  steps=300; [ $model = lenet ] && steps=100
  for mode in fp32 fp16-amp; do
    for r in 1 2 3 4 5 6 7; do
      for v in old new; do
        bin=$old; [ $v = new ] && bin=$new
        ms=$($bin bench --model $model --threads 1 --steps $steps --warmup 20 --modes $mode 2>/dev/null | awk -v m=$mode '$1==m {print $5}')
        echo "$model $mode $v $ms"
      done
    done
  done
done
